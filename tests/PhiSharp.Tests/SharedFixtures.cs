namespace PhiSharp.Tests;

/// <summary>
/// Locates the shared fixtures folder: large reference files (tiktoken rank files) that are kept out of the repository,
/// in <c>shared/fixtures</c> beside the repository root or in a folder above it. A test that needs them fails, with the
/// places searched, when they are missing: these files are part of the suite, not optional.
/// </summary>
internal static class SharedFixtures
{
    static readonly Lazy<string> Root = new(FindRoot);

    public static string Path(params string[] parts)
    {
        string path = System.IO.Path.Combine([Root.Value, .. parts]);
        if (!File.Exists(path)) throw new FileNotFoundException($"Shared fixture '{path}' is missing.", path);
        return path;
    }

    static string FindRoot()
    {
        string repoRoot = Directory.GetParent(Fixtures.Root)!.Parent!.FullName;   // tests/fixtures → repository root
        var searched = new List<string>();
        for (var dir = new DirectoryInfo(repoRoot); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "shared", "fixtures");
            if (Directory.Exists(candidate)) return candidate;
            searched.Add(candidate);
        }
        throw new DirectoryNotFoundException("The shared fixtures folder (tiktoken rank files etc.) was not found; looked in: " + string.Join(", ", searched));
    }
}
