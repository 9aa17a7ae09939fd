using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace PhiSharp.Rag.Retrieval;

/// <summary>How stored vectors are kept: 4 bytes a dimension, or 1 (a quarter of the size, ~1% ranking noise).</summary>
public enum VectorEncoding : byte { Float32 = 1, Int8 = 2 }

/// <summary>
/// The vector blob format: a 4-byte header (encoding tag, 3 zero bytes, so floats stay 4-byte aligned) then,
/// for Float32, the L2-normalised floats; for Int8, a float scale and one signed byte per dimension with
/// value ≈ byte × scale (symmetric, scale = max|x| / 127). Vectors are normalised on the way in so that the
/// dot product is the cosine.
/// </summary>
public static class VectorCodec
{
    const int HeaderBytes = 4;

    public static byte[] Encode(ReadOnlySpan<float> vector, VectorEncoding encoding)
    {
        if (vector.Length == 0) throw new ArgumentException("an embedding has no dimensions");
        var unit = Normalize(vector);
        switch (encoding)
        {
            case VectorEncoding.Float32:
            {
                var blob = new byte[HeaderBytes + 4 * unit.Length];
                blob[0] = (byte)encoding;
                MemoryMarshal.AsBytes(unit.AsSpan()).CopyTo(blob.AsSpan(HeaderBytes));
                return blob;
            }
            case VectorEncoding.Int8:
            {
                var blob = new byte[HeaderBytes + 4 + unit.Length];
                blob[0] = (byte)encoding;
                float scale = Quantize(unit, MemoryMarshal.Cast<byte, sbyte>(blob.AsSpan(HeaderBytes + 4)));
                BinaryPrimitives.WriteSingleLittleEndian(blob.AsSpan(HeaderBytes), scale);
                return blob;
            }
            default: throw new ArgumentException($"unknown vector encoding {encoding}");
        }
    }

    public static VectorEncoding EncodingOf(ReadOnlySpan<byte> blob) =>
        blob.Length > HeaderBytes && blob[0] is 1 or 2 && blob[1..HeaderBytes].IndexOfAnyExcept((byte)0) < 0
            ? (VectorEncoding)blob[0]
            : throw new FormatException("a stored vector blob has an unknown header");

    public static int Dimensions(ReadOnlySpan<byte> blob) => EncodingOf(blob) switch
    {
        VectorEncoding.Float32 when (blob.Length - HeaderBytes) % 4 == 0 => (blob.Length - HeaderBytes) / 4,
        VectorEncoding.Int8 when blob.Length > HeaderBytes + 4 => blob.Length - HeaderBytes - 4,
        _ => throw new FormatException($"a stored vector blob of {blob.Length} bytes has the wrong length for its encoding"),
    };

    public static ReadOnlySpan<float> Floats(ReadOnlySpan<byte> blob) => MemoryMarshal.Cast<byte, float>(blob[HeaderBytes..]);

    public static float Int8Scale(ReadOnlySpan<byte> blob) => BinaryPrimitives.ReadSingleLittleEndian(blob[HeaderBytes..]);

    public static ReadOnlySpan<sbyte> Int8Values(ReadOnlySpan<byte> blob) => MemoryMarshal.Cast<byte, sbyte>(blob[(HeaderBytes + 4)..]);

    /// <summary>The stored vector as floats (an int8 blob dequantized).</summary>
    public static float[] Decode(ReadOnlySpan<byte> blob)
    {
        if (EncodingOf(blob) == VectorEncoding.Float32) return Floats(blob[..(HeaderBytes + 4 * Dimensions(blob))]).ToArray();
        float scale = Int8Scale(blob);
        var values = Int8Values(blob);
        var floats = new float[values.Length];
        for (int i = 0; i < floats.Length; i++) floats[i] = values[i] * scale;
        return floats;
    }

    public static float[] Normalize(ReadOnlySpan<float> vector)
    {
        float norm = MathF.Sqrt(VectorMath.Dot(vector, vector));
        if (!float.IsFinite(norm)) throw new ArgumentException("an embedding has a NaN or infinite value");
        var unit = vector.ToArray();
        if (norm > 0) foreach (ref var x in unit.AsSpan()) x /= norm;
        return unit;
    }

    /// <summary>Symmetric int8 quantization of <paramref name="values"/> into <paramref name="output"/>; returns the scale.</summary>
    public static float Quantize(ReadOnlySpan<float> values, Span<sbyte> output)
    {
        float max = 0;
        foreach (var x in values) max = MathF.Max(max, MathF.Abs(x));
        float scale = max / 127f;
        for (int i = 0; i < values.Length; i++) output[i] = scale == 0 ? (sbyte)0 : (sbyte)MathF.Round(values[i] / scale);
        return scale;
    }
}
