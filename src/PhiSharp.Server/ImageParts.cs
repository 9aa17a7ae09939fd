using System.Text.Json;
using PhiSharp.Models.Phi3Vision;

namespace PhiSharp.Server;

/// <summary>
/// OpenAI's <c>{"type": "image_url", "image_url": {"url": …}}</c> content parts, decoded. The server never fetches:
/// a <c>data:</c> URL (base64) carries the image; a <c>file://</c> URL names a file inside the operator's
/// <c>--image-dir</c> (after resolving symlinks, so a link cannot lead out of it); anything else is a 400. An image
/// over the limits is a 413; one that cannot be decoded is a 400 that says why.
/// </summary>
static class ImageParts
{
    /// <summary>The media types a data: URL may declare: the formats <see cref="ImageDecoder"/> reads.</summary>
    static readonly HashSet<string> MediaTypes = ["image/png", "image/jpeg", "image/jpg", "image/webp", "image/gif", "image/bmp"];

    public static RgbImage Read(JsonElement part, string param, ServerOptions options, int number)
    {
        if (!part.TryGetProperty("image_url", out var imageUrl) || imageUrl.ValueKind != JsonValueKind.Object
            || !imageUrl.TryGetProperty("url", out var urlElement) || urlElement.ValueKind != JsonValueKind.String)
            throw ApiException.BadRequest($"'{param}' must be {{\"type\": \"image_url\", \"image_url\": {{\"url\": string}}}}.", param, "invalid_value");
        string url = urlElement.GetString()!;
        string name = $"image {number} ({param})";
        try
        {
            if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
                return ImageDecoder.Decode(DataUrl(url, param, options.ImageLimits), options.ImageLimits, name);
            if (url.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
                return ImageDecoder.Decode(AllowedFile(url, param, options.ImageDirectory), options.ImageLimits);
        }
        catch (ImageInputException e)
        {
            throw new ApiException(e.OverLimit ? 413 : 400, e.Message, param, e.OverLimit ? "image_too_large" : "invalid_image");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ApiException.BadRequest($"The image file could not be read: {e.Message}", param, "invalid_image");
        }
        if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            throw ApiException.BadRequest("The server does not fetch remote images; send the image's bytes as a data: URL " +
                "(data:image/png;base64,…) or, when the server allows a folder with --image-dir, a file:// URL inside it.", param, "remote_image_refused");
        throw ApiException.BadRequest("An image_url must be a data: URL (base64) or a file:// URL.", param, "invalid_image_url");
    }

    /// <summary>data:image/png;base64,…: the bytes, checked against the byte limit before decoding the base64.</summary>
    static byte[] DataUrl(string url, string param, ImageLimits limits)
    {
        int comma = url.IndexOf(',');
        string header = comma < 0 ? url[5..] : url[5..comma];
        string[] fields = header.Split(';');
        string mediaType = fields[0].Trim().ToLowerInvariant();
        if (comma < 0 || !fields.Skip(1).Any(f => f.Trim().Equals("base64", StringComparison.OrdinalIgnoreCase)))
            throw ApiException.BadRequest("A data: URL image must be base64: data:image/png;base64,….", param, "invalid_image_url");
        if (!MediaTypes.Contains(mediaType))
            throw ApiException.BadRequest($"A data: URL image must declare an image type the server reads (image/png, image/jpeg, image/webp, " +
                $"image/gif, image/bmp); got '{(mediaType.Length == 0 ? "none" : mediaType)}'.", param, "unsupported_media_type");
        var base64 = url.AsSpan(comma + 1);
        long decodedLength = base64.Length / 4 * 3;
        if (decodedLength > limits.MaxBytes + 3)
            throw new ApiException(413, $"The image is about {decodedLength} bytes; images are limited to {limits.MaxBytes} bytes.", param, "image_too_large");
        var bytes = new byte[(base64.Length + 3) / 4 * 3];
        if (!Convert.TryFromBase64Chars(base64, bytes, out int written))
            throw ApiException.BadRequest("The data: URL's base64 is not valid.", param, "invalid_image_url");
        return bytes[..written];
    }

    /// <summary>
    /// A file:// URL's path, resolved through every symlink, when it lies inside the resolved image directory; the
    /// resolved path is what is read, so what was checked is what is opened. Whether a file outside exists is not said.
    /// </summary>
    static string AllowedFile(string url, string param, string? imageDirectory)
    {
        if (imageDirectory is null)
            throw ApiException.BadRequest("This server reads no image files (start it with --image-dir DIR to allow a folder); send a data: URL.",
                param, "image_file_refused");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !uri.IsFile || !string.IsNullOrEmpty(uri.Host) || !Path.IsPathFullyQualified(uri.LocalPath))
            throw ApiException.BadRequest("A file:// URL must name an absolute path on this machine (file:///dir/image.png).", param, "invalid_image_url");
        string root = RealPath.Of(imageDirectory);
        string path = RealPath.Of(uri.LocalPath);
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (!path.StartsWith(Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar, comparison))
            throw ApiException.BadRequest("The file is outside the folder this server reads images from (--image-dir).", param, "image_file_refused");
        if (!File.Exists(path))
            throw ApiException.BadRequest($"No image file at '{uri.LocalPath}'.", param, "invalid_image");
        return path;
    }
}
