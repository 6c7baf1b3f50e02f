# The NCII case manager for a district's own server: one image for web, worker and beat.
#   docker compose build && docker compose up -d     (see README.md and .env.example)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    STATIC_ROOT=/app/staticfiles \
    PRIVATE_MEDIA_ROOT=/data/private

# WeasyPrint's libraries (Pango, HarfBuzz subsetting) and a font for the PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Pinned runtime requirements, transitive ones included (constraints.txt).
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

COPY . .

# Static files are built into the image; the container collects them again into the static
# volume at start (see docker-compose.yml) so an upgrade never serves stale ones.
# Translations are compiled from locale/*.po (the .mo files are not in git).
RUN SECRET_KEY=build-only-not-secret ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput --verbosity 0 \
    && SECRET_KEY=build-only-not-secret ALLOWED_HOSTS=localhost \
    python manage.py compile_translations --force --verbosity 0

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin ncii \
    && mkdir -p /data/private \
    && chown -R ncii:ncii /app/staticfiles /data/private \
    && chmod 700 /data/private
USER ncii

EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-", "--forwarded-allow-ips", "*"]
