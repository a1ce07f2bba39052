"""The Amili API as the importer sees it: the request contract (`request`), the client that
posts and looks up creditings (`client`), the batched status read-back (`readback`) and the
target an import talks to, real or the embedded sandbox (`target`), and the back-pressure
every connection of one import shares (`throttle`)."""
