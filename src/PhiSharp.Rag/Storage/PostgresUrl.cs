using Npgsql;

namespace PhiSharp.Rag.Storage;

/// <summary>
/// Reads <c>postgres://user:password@host:port/database?key=value</c> (or <c>postgresql://</c>) into an Npgsql
/// connection string. User and password are percent-decoded; query parameters are Npgsql keywords
/// (<c>sslmode=require</c>, <c>timeout=5</c>, ...). The description never contains the password.
/// </summary>
public static class PostgresUrl
{
    public static bool IsPostgres(string db) =>
        db.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || db.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    public static NpgsqlConnectionStringBuilder Parse(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !IsPostgres(url) || uri.Host.Length == 0)
            throw new RagStoreException($"'{Redact(url)}' is not a PostgreSQL URL (expected postgres://user:password@host:port/database)");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'), // an IPv6 literal comes bracketed
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
        };
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0 || database.Contains('/'))
            throw new RagStoreException($"'{Redact(url)}' names no database (expected postgres://user:password@host:port/database)");
        builder.Database = database;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':');
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            try { builder[key] = Uri.UnescapeDataString(eq < 0 ? "" : pair[(eq + 1)..]); }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                throw new RagStoreException($"'{Redact(url)}': bad connection parameter '{key}': {e.Message}", e);
            }
        }
        return builder;
    }

    /// <summary>The URL with any password replaced by ***, for messages.</summary>
    public static string Redact(string url)
    {
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        int at = url.LastIndexOf('@');
        if (scheme < 0 || at < scheme) return url;
        int colon = url.IndexOf(':', scheme + 3);
        return colon < 0 || colon > at ? url : url[..(colon + 1)] + "***" + url[at..];
    }

    /// <summary>user@host:port/database, for messages.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder b) => $"{b.Username}@{b.Host}:{b.Port}/{b.Database}";
}
