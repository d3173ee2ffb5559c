"""The sandbox exchange: an exchange double in riskdesk's own tables, answering per the gateway
contract, embedded (the default gateway) or served over HTTP (run_sandbox_exchange)."""
