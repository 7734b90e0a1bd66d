# One image for every role of a scaled-out explorer: the hub (`manage.py runexplorer`)
# and the web workers (daphne). docker-compose.yml wires them to Redis.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=explorer.settings \
    EXPLORER_DB_PATH=/var/lib/explorer/db.sqlite3

# Graphviz draws the diagrams; the fonts give PNG exports their Latin and Chinese letters.
RUN apt-get update \
    && apt-get install -y --no-install-recommends graphviz fonts-dejavu-core fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# What goes in is chosen by .dockerignore.
COPY . .

RUN useradd --system --home-dir /var/lib/explorer --create-home explorer \
    && python manage.py migrate --noinput \
    && chown -R explorer /var/lib/explorer
USER explorer

EXPOSE 8000
# A web worker by default; the compose file runs the hub from the same image.
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "explorer.asgi:application"]
