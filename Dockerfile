# Mirrors the README install: Python 3.11, requirements.txt, the app (`streamlit run asgi.py`: the Streamlit app
# and the explore chart's redraw route, through scripts/serve.py, which loads the pages' imports before the
# first visitor) on port 8501.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 studio
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=studio:studio app.py asgi.py ./
COPY --chown=studio:studio .streamlit ./.streamlit
COPY --chown=studio:studio schedules ./schedules
COPY --chown=studio:studio pages ./pages
COPY --chown=studio:studio ui ./ui
COPY --chown=studio:studio static ./static
COPY --chown=studio:studio tasks ./tasks
COPY --chown=studio:studio scripts/serve.py ./scripts/serve.py

USER studio
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"
CMD ["python", "scripts/serve.py", "--server.address=0.0.0.0", "--server.port=8501"]
