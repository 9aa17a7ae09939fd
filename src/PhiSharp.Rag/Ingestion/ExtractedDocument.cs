namespace PhiSharp.Rag.Ingestion;

/// <summary>
/// A run of text under one heading path ("Install > Linux"), split into paragraphs.
/// Chunks never span sections, so every chunk carries exactly one heading context.
/// </summary>
public sealed record Section(string? Heading, IReadOnlyList<string> Paragraphs);

/// <summary>The visible text of one file, as sections in reading order.</summary>
public sealed record ExtractedDocument(IReadOnlyList<Section> Sections);

/// <summary>A file that was not ingested, and why (unsupported type, binary, unreadable, malformed).</summary>
public sealed record SkippedFile(string Path, string Reason);
