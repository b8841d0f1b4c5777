"""An envelope-mode function: `handle(context, payload)` gets the request's JSON body as
`payload` and everything else (caller, deadline, secrets) in `context`; the return value is the
response body. Deploy it with `mode: envelope` and the input schema in orders.schema.json."""


def handle(context, payload):
    total = sum(item["qty"] * item["price"] for item in payload["items"])
    caller = (context.get("caller") or {}).get("subject", "anonymous")
    return {"total": round(total, 2), "items": len(payload["items"]), "caller": caller}
