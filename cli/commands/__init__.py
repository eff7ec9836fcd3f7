"""CLI command modules. Each module defines click commands or groups and lists them in
`COMMANDS`; cli.main adds every module's COMMANDS to the `hallmonitor` group."""
