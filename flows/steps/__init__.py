"""The pipeline steps the flows run: fetch, load, analyse media, check, recheck."""
