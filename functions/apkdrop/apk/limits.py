"""Every bound a hostile upload meets. Uploads reach 1 GiB; functions have a few hundred MiB."""

MIB = 1024 * 1024

MAX_ENTRIES = 100_000
"""Most entries an archive may list; large games ship tens of thousands of assets."""
MAX_DIRECTORY_BYTES = 32 * MIB
"""Largest central directory; 100,000 entries with long names take about 10 MiB."""
MAX_MANIFEST_BYTES = 4 * MIB
"""Largest uncompressed AndroidManifest.xml; real ones are well under 1 MiB."""
MAX_RESOURCES_BYTES = 32 * MIB
"""Largest resources.arsc; the biggest apps' tables are around 10-20 MiB."""
MAX_PROTO_MANIFEST_BYTES = 2 * MIB
"""Largest protobuf manifest of a bundle: the protobuf runtime holds about 40 times what it
parses, so this bounds a manifest's memory near 80 MiB; real ones are well under 1 MiB."""
MAX_PROTO_TYPE_BYTES = 4 * MIB
"""Largest resource type of a bundle's resources.pb parsed to resolve a value (one at a time;
about 160 MiB parsed); a larger type's values are not resolved (a label shows as unknown)."""
MAX_PROTO_TABLE_FIELDS = 10_000
"""Most packages in a resources.pb, and fields in one of its packages (its types): real tables
have one package of a few dozen types."""
MAX_COMPRESSION_RATIO = 200
"""Most an entry may inflate relative to its compressed size (zip bombs reach 1000:1 and more);
binary XML and resource tables compress about 5:1."""
MAX_ICON_BYTES = 1 * MIB
"""Largest icon file we pick up; a 512x512 PNG is a few hundred KiB."""
MAX_SIGNING_BLOCK_BYTES = 4 * MIB
"""Largest APK Signing Block; real ones, with padding, are a few KiB."""
MAX_SIGNATURE_FILE_BYTES = 1 * MIB
"""Largest v1 signature block file (META-INF/*.RSA); a certificate chain is a few KiB."""
MAX_READ_BYTES = 96 * MIB
"""Most bytes one inspection reads from the source, whatever the archive claims: the sum of the
largest directory, manifest and resource table above, with room for the rest."""

MAX_PERMISSIONS = 500
"""Most permissions a manifest may request; real apps ask for well under 200. With
MAX_NAME_CHARS this keeps ApkInfo far below Firestore's 1 MiB per document."""
MAX_NAME_CHARS = 255
"""Longest package or permission name we store."""
MAX_TEXT_CHARS = 1000
"""Longest versionName we store; labels are cut to this length, as Android itself does."""
MAX_REFERENCE_DEPTH = 8
"""Most resource references followed from one value (aliases of aliases), so cycles end."""

MAX_ELF_HEADERS_BYTES = 64 * 1024
"""Most bytes of a native library read (inflated, when compressed) to find its program headers;
linkers put them right after the 64-byte header, so real libraries need under 1 KiB."""
MAX_CHECKED_LIBRARIES = 256
"""Most 64-bit native libraries whose headers the 16 KB page size check reads, one ranged read
each; large apps ship a few dozen per ABI."""
