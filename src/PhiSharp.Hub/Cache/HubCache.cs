namespace PhiSharp.Hub;

/// <summary>
/// The Hugging Face cache, laid out as huggingface_hub's file_download.py writes it:
/// <c>models--org--name/blobs/&lt;etag&gt;</c> holds each file's bytes once, <c>snapshots/&lt;commit&gt;/&lt;file&gt;</c> is a
/// relative symlink to its blob, and <c>refs/&lt;revision&gt;</c> holds the commit a branch or tag pointed to when last
/// seen. A download in progress is <c>blobs/&lt;etag&gt;.incomplete</c>, under the lock
/// <c>.locks/models--org--name/&lt;etag&gt;.lock</c> (<see cref="BlobLock"/>).
/// </summary>
public sealed class HubCache(string root)
{
    public string Root { get; } = root;

    /// <summary>repo_folder_name: "models" and the repository id's parts, joined by "--".</summary>
    public string RepoFolder(string repoId) => Path.Combine(Root, "models--" + repoId.Replace("/", "--"));

    public string BlobPath(string repoId, string etag) => Path.Combine(RepoFolder(repoId), "blobs", etag);

    /// <summary>huggingface_hub's lock file for a blob: under the cache's <c>.locks</c>, per repository folder.</summary>
    public string LockPath(string repoId, string etag) =>
        Path.Combine(Root, ".locks", Path.GetFileName(RepoFolder(repoId)), etag + ".lock");

    public string SnapshotFolder(string repoId, string commit) => Path.Combine(RepoFolder(repoId), "snapshots", commit);

    public string PointerPath(string repoId, string commit, string file) =>
        Path.Combine(SnapshotFolder(repoId, commit), Path.Combine(file.Split('/')));

    /// <summary>The commit a revision pointed to when last seen, or null. A revision that is a commit hash is its own.</summary>
    public string? ReadRef(string repoId, string revision)
    {
        if (IsCommitHash(revision)) return revision;
        string path = Path.Combine(RepoFolder(repoId), "refs", revision);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    /// <summary>Records the commit a branch or tag points to, written whole (a temporary file renamed) so that a reader
    /// never sees half of it; huggingface_hub writes no newline either.</summary>
    public void WriteRef(string repoId, string revision, string commit)
    {
        if (revision == commit) return;
        string path = Path.Combine(RepoFolder(repoId), "refs", revision);
        if (File.Exists(path) && File.ReadAllText(path) == commit) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, commit);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The cached file of a revision, as try_to_load_from_cache finds it, or null.</summary>
    public string? Find(string repoId, string file, string revision = "main") =>
        ReadRef(repoId, revision) is { } commit && File.Exists(PointerPath(repoId, commit, file)) ? PointerPath(repoId, commit, file) : null;

    /// <summary>The files of the snapshot a revision points to (paths relative to it, with '/'), or null if none is cached.</summary>
    public IReadOnlyList<string>? CachedFiles(string repoId, string revision = "main")
    {
        if (ReadRef(repoId, revision) is not { } commit || !Directory.Exists(SnapshotFolder(repoId, commit))) return null;
        string folder = SnapshotFolder(repoId, commit);
        return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Points a snapshot's file at its blob with a relative symlink, as _create_symlink does (so the cache can
    /// be moved); where symlinks cannot be made, the blob is copied, as huggingface_hub does on such systems.</summary>
    public void Link(string repoId, string commit, string file, string etag)
    {
        string pointer = PointerPath(repoId, commit, file), blob = BlobPath(repoId, etag);
        Directory.CreateDirectory(Path.GetDirectoryName(pointer)!);
        if (File.Exists(pointer) || new FileInfo(pointer).LinkTarget is not null) File.Delete(pointer);
        try
        {
            File.CreateSymbolicLink(pointer, Path.GetRelativePath(Path.GetDirectoryName(pointer)!, blob));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Copy(blob, pointer);
        }
    }

    /// <summary>Marks the cache as one backup tools may skip, as huggingface_hub's _create_cachedir_tag does
    /// (the Cache Directory Tagging Standard: the signature line first).</summary>
    public void Tag()
    {
        string path = Path.Combine(Root, "CACHEDIR.TAG");
        if (File.Exists(path)) return;
        Directory.CreateDirectory(Root);
        File.WriteAllText(path, "Signature: 8a477f597d28d172789f06886806bc55\n" +
                                "# This file is a cache directory tag created by PhiSharp for the Hugging Face cache.\n" +
                                "# For information about cache directory tags, see:\n#\thttps://bford.info/cachedir/\n");
    }

    internal static bool IsCommitHash(string revision) => revision.Length == 40 && revision.All(char.IsAsciiHexDigitLower);
}
