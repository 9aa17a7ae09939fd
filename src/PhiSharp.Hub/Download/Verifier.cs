using System.Security.Cryptography;
using System.Text;

namespace PhiSharp.Hub;

/// <summary>
/// Checks a download against the etag the Hub gave for it: an LFS file's etag is the SHA-256 of its content (64 hex
/// digits); any other file's is its git blob id, the SHA-1 of "blob &lt;size&gt;\0" and the content (40 hex digits).
/// An etag of another form (a mirror's own) cannot be checked, and <see cref="For"/> returns null.
/// </summary>
sealed class Verifier : IDisposable
{
    readonly IncrementalHash _hash;

    public string Name { get; }
    public string Hex { get; private set; } = "";

    Verifier(IncrementalHash hash, string name) => (_hash, Name) = (hash, name);

    /// <param name="size">The file's size, which a git blob id hashes before the content.</param>
    public static Verifier? For(string etag, long size)
    {
        if (!etag.All(char.IsAsciiHexDigit)) return null;
        if (etag.Length == 64) return new Verifier(IncrementalHash.CreateHash(HashAlgorithmName.SHA256), "SHA-256");
        if (etag.Length != 40) return null;
        var verifier = new Verifier(IncrementalHash.CreateHash(HashAlgorithmName.SHA1), "git blob id");
        verifier._hash.AppendData(Encoding.ASCII.GetBytes($"blob {size}\0"));
        return verifier;
    }

    public void AppendData(byte[] data, int offset, int count) => _hash.AppendData(data, offset, count);

    public bool Matches(string etag)
    {
        Hex = Convert.ToHexStringLower(_hash.GetHashAndReset());
        return Hex.Equals(etag, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose() => _hash.Dispose();
}
