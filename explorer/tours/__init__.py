"""Guided tours: language-neutral structure plus one text file per language, validated on load.

Each tour is a folder under `content/`: `tour.yaml` holds what is the same in
every language (the steps' keys, which view, what each step highlights, the
"try it" actions) and `<language>.yaml` holds the words. Errors name the file
and the line.
"""

from explorer.tours.loader import LANGUAGES, Step, Tour, TourError, load_tour, load_tours

__all__ = ["LANGUAGES", "Step", "Tour", "TourError", "load_tour", "load_tours"]
