"""Importers: read another system's export and yield plain records (records.py).

One module per source (disqus, wordpress, isso, and jsonfile for our own export);
none of them touches the database. loader.py alone writes what they yield.
"""
