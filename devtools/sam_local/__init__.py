"""`make sam-local` and `make invoke`: the functions under the real SAM CLI, in Docker, on an offline Lambda image."""
