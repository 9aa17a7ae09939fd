namespace PhiSharp.Rag.Ingestion;

/// <summary>What an ingest reads (regular files, in a stable order) and what it passed over on the way, and why.</summary>
public sealed record FoundFiles(IReadOnlyList<string> Files, IReadOnlyList<SkippedFile> Skipped);

/// <summary>
/// Expands the paths given to ingest into regular files; folders are searched recursively, without dot-folders.
/// Links are followed, so a link to a folder outside the tree brings that folder in, but no folder is searched
/// twice: a folder is known by its real path (every link in it resolved, as realpath(3) does), and a link that
/// leads to a folder already searched (a loop such as <c>up -> ..</c>, or a second way in) is skipped, naming the
/// path it was searched as. The folders themselves are searched before any link in them, so a folder that a link
/// also reaches keeps its own paths. FIFOs, sockets, devices and folders that cannot be listed are skipped too.
/// </summary>
sealed class FileFinder
{
    static readonly EnumerationOptions Listing = new() { RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = FileAttributes.Hidden };

    readonly SortedSet<string> _files = new(StringComparer.Ordinal);
    readonly List<SkippedFile> _skipped = [];
    readonly Dictionary<string, string> _searched = new(StringComparer.Ordinal); // real path → the path it was searched as
    readonly Queue<string> _links = new(); // links to folders, followed after the folders they are in

    /// <summary>A path that does not exist is an error; so is finding no regular file at all.</summary>
    public static FoundFiles Find(IEnumerable<string> paths, string? exclude)
    {
        var finder = new FileFinder();
        foreach (var given in paths)
        {
            var full = Path.GetFullPath(given);
            if (Directory.Exists(full)) finder.Enter(full);
            else if (File.Exists(full)) finder.AddFile(full);
            else throw new FileNotFoundException($"no such file or folder: {given}", given);
        }
        while (finder._links.TryDequeue(out var link)) finder.Enter(link);

        // The store's own files (and its WAL and shared-memory companions) are never documents.
        if (exclude is not null) finder._files.RemoveWhere(f => f.StartsWith(Path.GetFullPath(exclude), StringComparison.Ordinal));
        if (finder._files.Count == 0) throw new ArgumentException($"no files found under {string.Join(", ", paths)}{finder.FirstSkipped()}");
        return new FoundFiles(finder._files.ToList(), finder._skipped);
    }

    /// <summary>Searches a folder given by the user or reached through a link: its real path is not known yet.</summary>
    void Enter(string folder)
    {
        string real;
        try { real = RealPath(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) // a cycle of links, a folder that cannot be searched
        {
            Skip(folder, $"unreadable: {e.Message}");
            return;
        }
        Search(folder, real);
    }

    void Search(string folder, string real)
    {
        if (_searched.TryGetValue(real, out var first))
        {
            if (first != folder) Skip(folder, $"the same folder as {first}");
            return;
        }
        _searched.Add(real, folder);

        List<FileSystemInfo> entries;
        try { entries = new DirectoryInfo(folder).EnumerateFileSystemInfos("*", Listing).OrderBy(e => e.Name, StringComparer.Ordinal).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Skip(folder, $"unreadable: {e.Message}");
            return;
        }
        foreach (var entry in entries)
        {
            if (entry is FileInfo) AddFile(entry.FullName); // a broken link lists as a file
            else if (entry.Name.StartsWith('.')) continue;   // dot-folders such as .git (Windows does not mark them hidden)
            else if (entry.LinkTarget is not null) _links.Enqueue(entry.FullName);
            else Search(entry.FullName, Path.Combine(real, entry.Name));
        }
    }

    void AddFile(string path)
    {
        var kind = FileKinds.Of(path);
        if (kind is null or FileKind.Regular) _files.Add(path); // unknown (a broken link, say): reading it reports why
        else Skip(path, FileKinds.NotRegular(kind.Value));
    }

    void Skip(string path, string reason) => _skipped.Add(new SkippedFile(path, reason));

    string FirstSkipped() => _skipped.Count switch
    {
        0 => "",
        1 => $"; skipped {_skipped[0].Path}: {_skipped[0].Reason}",
        _ => $"; skipped {_skipped[0].Path}: {_skipped[0].Reason}, and {_skipped.Count - 1} more",
    };

    /// <summary>
    /// <paramref name="path"/> with every link in it resolved, component by component, so that a link's relative
    /// target (<c>..</c>) is taken from where the link really is. A cycle of links makes ResolveLinkTarget throw.
    /// </summary>
    static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var real = Path.GetPathRoot(full)!;
        foreach (var name in full[real.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(real, name);
            var target = new DirectoryInfo(next).ResolveLinkTarget(returnFinalTarget: true);
            real = target is null ? next : RealPath(target.FullName);
        }
        return real;
    }
}
