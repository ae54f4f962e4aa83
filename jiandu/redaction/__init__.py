"""The redaction studio: public derivatives of evidence (clips, stills, blurred images,
redacted PDFs), made in the forensics sandbox from decoded pixels, without metadata."""
