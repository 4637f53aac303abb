"""A shared index for a team, on Milvus: one machine publishes its folders' passages to a Milvus
collection (publish.py), everyone's Spyglass searches it beside their own index
(remote_search.py, federation.py). Where a shared index is (target.py), how to reach it and what
the collection holds (milvus.py, layout.py), and the keyword list as Milvus can compute it
(bm25_terms.py) each have their own module. Nothing here runs, and no socket opens, unless the
user configures a shared index; pymilvus is imported only then."""
