"""The files a user writes: taskdef.json, appspec.yaml, bluegreen.toml.

Pure data: parse, validate, render. Every problem is reported with the file,
the field path and what was expected there (`errors.Problem`).
"""
