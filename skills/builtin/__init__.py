"""Scripted skills that ship with hirobot: place, put_back, home."""
