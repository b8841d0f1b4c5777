"""A Gatehouse python3 function (runtime: process). http mode: `handle(request)` gets the
request (method, path, query, headers, body, text, json()) and returns a str, bytes, a dict or
list (JSON), or (status, headers, body)."""
import os


def handle(request):
    name = request.query.partition("name=")[2] or "world"
    print(f"greeting {name}")  # goes to the run's logs
    return {"hello": name, "stage": os.environ.get("STAGE", "dev")}
