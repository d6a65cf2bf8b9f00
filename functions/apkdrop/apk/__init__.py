"""APK inspection by ranged reads. The public names live in ``apkdrop.apk_inspection``.

- ``limits``: every bound hostile input meets, in one place.
- ``source``: positional, counted, capped reads of the uploaded file.
- ``archive``: the zip's end records, central directory and entries.
- ``manifest``: the binary AndroidManifest.xml.
- ``resources``: the values of resource ids, from resources.arsc.
- ``bundle``: where an App Bundle's modules keep what an APK has; ``aapt_proto`` (aapt2's
  protobuf messages), ``proto_manifest`` and ``proto_resources`` read its manifest and table.
- ``icon``: which launcher icon file to show.
- ``signing``: signature schemes and the signer certificate's fingerprint.
- ``elf``, ``entry_prefix``: a native library's program headers, from its entry's first bytes.
- ``checks``: the Play-readiness checks.
- ``inspection``: ties them together into ``ApkInspection``.
"""
