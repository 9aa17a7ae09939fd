namespace PhiSharp.Server;

/// <summary>
/// A path with every symlink along it resolved, as POSIX realpath(3) gives it (.NET resolves only a path's last
/// component): what a containment check must compare, since a link inside a folder may point anywhere.
/// </summary>
static class RealPath
{
    /// <summary>Linux's limit on links followed in one lookup (ELOOP); a cycle ends here as an IOException.</summary>
    const int MaxLinks = 40;

    public static string Of(string path)
    {
        int links = 0;
        return Resolve(Path.GetFullPath(path), ref links);
    }

    static string Resolve(string full, ref int links)
    {
        string root = Path.GetPathRoot(full)!;
        string current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Combine(current, part);
            var info = new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                if (++links > MaxLinks) throw new IOException($"Too many symbolic links in '{full}'.");
                // A relative target is relative to the link's folder; that folder is already resolved.
                next = Resolve(Path.GetFullPath(target, current), ref links);
            }
            current = next;
        }
        return current;
    }
}
