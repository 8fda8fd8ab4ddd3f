"""The catalogue's rules, as plain functions taking a Session.

books        one book: what it shows (copies, holds, rating, cover), create, replace/update, remove or archive
listing      the catalogue list: filters, ranked search, ordering, pages; genres and authors
reviews      who may review, one review per member per book, the book's rating totals
covers       cover uploads (pre-signed S3 POST) and attaching an uploaded image
csv_import   CSV import: row validation and the set-based upsert by ISBN
import_jobs  large imports uploaded to S3 and run by the uploads function
"""
