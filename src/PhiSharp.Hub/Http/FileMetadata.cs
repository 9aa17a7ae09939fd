namespace PhiSharp.Hub;

/// <summary>What a HEAD on <c>resolve/&lt;revision&gt;/&lt;file&gt;</c> says of a file (huggingface_hub's HfFileMetadata):
/// the commit the revision points to, the file's etag (the SHA-256 of an LFS file, the git blob id of another), its
/// size, and the URL to GET it from (the CDN an LFS file redirects to).</summary>
public sealed record FileMetadata(string Commit, string Etag, long Size, Uri Location);

/// <summary>A repository's files at a revision, from the model API.</summary>
public sealed record RepositoryInfo(string RepoId, string Commit, IReadOnlyList<RepositoryFileInfo> Files);

/// <param name="Size">Bytes (the LFS object's size for LFS files), when the API gave it.</param>
public sealed record RepositoryFileInfo(string Name, long? Size);
