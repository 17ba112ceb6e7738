"""The monthly progress report (seed plan 五(三)): numbers, XLSX and PDF."""
