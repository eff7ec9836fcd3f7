"""The `hallmonitor` command line: commands only, the work is done by the layers below."""
