"""The daily risk-control report: its window and sections (`window`, `sections`), the build
(`build`), and what reads it (`charts`, `export`, `pdf`, `mail`)."""
