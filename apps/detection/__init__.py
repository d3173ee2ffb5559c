"""Detection core: reads one window of the trading feed and turns it into alerts."""
