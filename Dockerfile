# One image for every role of a scaled-out explorer: the hub (`manage.py runexplorer`)
# and the web workers (daphne). docker-compose.yml wires them to Redis.

# The Chinese page strings: git keeps only the catalogue's source (.po); GNU msgfmt compiles it here,
# so the image carries the compiled catalogue without carrying gettext.
FROM python:3.11-slim AS catalogue
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY locale locale
RUN find locale -name '*.po' -exec sh -c 'msgfmt --check -o "${1%.po}.mo" "$1"' _ {} \;

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

# What goes in is chosen by .dockerignore; the compiled catalogue comes from the stage above.
COPY . .
COPY --from=catalogue /build/locale locale

RUN useradd --system --home-dir /var/lib/explorer --create-home explorer \
    && python manage.py migrate --noinput \
    && chown -R explorer /var/lib/explorer
USER explorer

EXPOSE 8000
# A web worker by default; the compose file runs the hub from the same image.
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "explorer.asgi:application"]
