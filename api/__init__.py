"""The entry points: HTTP API (FastAPI), web UI and CLI (Typer). Thin: parse, authorise, call one service."""
