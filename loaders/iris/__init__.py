"""IRIS real-time loader: Service Bus consumer (``service``) and client-file drain (``drain``).

Both paths share one pipeline (``pipeline.load_batch``): decode message bodies, route them to a
dataset, validate with the registry types, commit rows and message ids in one warehouse
transaction — and only then settle the messages (complete / move the file)."""
