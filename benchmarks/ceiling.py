"""The ceiling: the least a Flask app under gunicorn can do for a JSON request."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> dict[str, object]:
    return {"status": "ok", "comments": 0}
