# Sourced by the scripts: keep every tool from phoning home and keep state inside the project.
export DO_NOT_TRACK=1
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export GX_ANALYTICS_ENABLED=false
export HF_HUB_OFFLINE=1
export PREFECT_HOME="${PREFECT_HOME:-$PWD/.prefect}"
export PREFECT_LOGGING_LEVEL="${PREFECT_LOGGING_LEVEL:-WARNING}"
