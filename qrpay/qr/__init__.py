"""QR symbols: making them (encode) and reading them back from images and PDFs (decode)."""
