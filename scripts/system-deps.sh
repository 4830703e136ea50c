#!/usr/bin/env bash
# The few Debian packages the Python code itself needs (the services have their own script).
# Required: libmagic (MIME from the bytes) and a TrueType font (generated sample letters, PDF exports).
# Optional: Tesseract with fra, nld, deu, eng for OCR of scans (ingest/ocr.py runs ocrmypdf; Ghostscript is not
# needed: the PDF/A is made by pikepdf and pages are rendered by pdfium). Without it dms runs, scans stay
# without a text layer and their OCR jobs wait.
set -euo pipefail
required=()
optional=()
[ -e /usr/lib/x86_64-linux-gnu/libmagic.so.1 ] || ls /usr/lib/*/libmagic.so.1 >/dev/null 2>&1 || required+=(libmagic1)
[ -d /usr/share/fonts/truetype/dejavu ] || required+=(fonts-dejavu-core)
command -v tesseract >/dev/null || optional+=(tesseract-ocr)
for lang in fra nld deu eng; do
  ls /usr/share/tesseract-ocr/*/tessdata/$lang.traineddata >/dev/null 2>&1 || optional+=("tesseract-ocr-$lang")
done
wanted=("${required[@]}" "${optional[@]}")
[ ${#wanted[@]} -gt 0 ] || exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[system-deps] installing ${wanted[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${wanted[@]}" >/dev/null
elif [ ${#required[@]} -gt 0 ]; then
  echo "[system-deps] please install: ${required[*]} (e.g. sudo apt-get install ${required[*]})" >&2
  exit 1
else
  echo "[system-deps] optional, for OCR of scans: sudo apt-get install ${optional[*]}" >&2
fi
