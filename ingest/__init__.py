"""Intake: channels, type detection, extraction, OCR, the pipeline and its workers."""
