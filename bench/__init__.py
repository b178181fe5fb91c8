"""The benchmark: bench/generate fills a database at a national scale, bench/run measures the pages
and the closing-minute writes against gunicorn beside a bare Flask reference. See bench/RESULTS.md."""
