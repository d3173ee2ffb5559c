"""Emergency plans: prepared in calm times, activated for a contract or the platform in one
step, carried out as ordinary symbol- or platform-wide actions (two people, the gateway)."""
