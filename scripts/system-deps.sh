#!/usr/bin/env bash
# The few Debian packages the Python code itself needs (the services have their own script).
# Required: libmagic (MIME from the bytes), a TrueType font (generated sample letters, PDF exports) and zbar
# (barcode separator sheets on scans).
# Optional: Tesseract with fra, nld, deu, eng for OCR of scans (ingest/ocr.py runs ocrmypdf; Ghostscript is not
# needed: the PDF/A is made by pikepdf and pages are rendered by pdfium). Without it dms runs, scans stay
# without a text layer and their OCR jobs wait.
set -euo pipefail
required=()
optional=()
[ -e /usr/lib/x86_64-linux-gnu/libmagic.so.1 ] || ls /usr/lib/*/libmagic.so.1 >/dev/null 2>&1 || required+=(libmagic1)
[ -d /usr/share/fonts/truetype/dejavu ] || required+=(fonts-dejavu-core)
ls /usr/lib/*/libzbar.so.0 >/dev/null 2>&1 || required+=(libzbar0)  # barcode separator sheets (pyzbar)
command -v tesseract >/dev/null || optional+=(tesseract-ocr)
for lang in fra nld deu eng; do
  ls /usr/share/tesseract-ocr/*/tessdata/$lang.traineddata >/dev/null 2>&1 || optional+=("tesseract-ocr-$lang")
done
# The web interface's browser tests (tests/test_web_browser.py): Chromium, and npm to fetch axe-core.
[ -x /usr/bin/chromium ] || optional+=(chromium)
command -v npm >/dev/null || optional+=(npm)
# LibreOffice headless renders library letters to PDF (dms/library/rendering.py); required by the test suite
# (tests/test_library*.py). Without it dms runs and only letter rendering answers 503.
command -v soffice >/dev/null || optional+=(libreoffice-writer-nogui)
wanted=("${required[@]}" "${optional[@]}")
[ ${#wanted[@]} -gt 0 ] || exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[system-deps] installing ${wanted[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${wanted[@]}" >/dev/null
elif [ ${#required[@]} -gt 0 ]; then
  echo "[system-deps] please install: ${required[*]} (e.g. sudo apt-get install ${required[*]})" >&2
  exit 1
else
  echo "[system-deps] optional (OCR of scans, letter rendering, browser tests): sudo apt-get install ${optional[*]}" >&2
fi
