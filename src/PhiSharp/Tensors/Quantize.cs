using System.Buffers.Binary;
using PhiSharp.Tensors.Blocks;

namespace PhiSharp.Tensors;

/// <summary>Encodes float32 rows into a <see cref="GgmlType"/> with ggml's reference quantizers
/// (the same bytes llama.cpp's quantize writes when no importance matrix is given).</summary>
public static class Quantize
{
    /// <summary>True for the types <see cref="Row"/> can produce.</summary>
    public static bool Supports(GgmlType type) =>
        type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0
            or GgmlType.Q4_K or GgmlType.Q6_K;

    /// <summary>Encodes <paramref name="src"/> (a whole number of blocks) into <paramref name="dst"/>, which must be
    /// exactly <see cref="GgmlTypeInfo.RowByteSize"/> bytes.</summary>
    public static void Row(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        if (!Supports(type)) throw new NotSupportedException($"cannot quantize to {GgmlTypeInfo.Name(type)}");
        long expected = GgmlTypeInfo.RowByteSize(type, src.Length);
        if (dst.Length != expected)
            throw new ArgumentException(
                $"{GgmlTypeInfo.Name(type)}: {src.Length} elements take {expected} bytes, got {dst.Length}", nameof(dst));

        switch (type)
        {
            case GgmlType.F32:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(dst[(4 * i)..], src[i]);
                break;
            case GgmlType.F16:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(dst[(2 * i)..], Fp16.FromSingle(src[i]));
                break;
            case GgmlType.BF16:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(dst[(2 * i)..], Bf16.FromSingle(src[i]));
                break;
            case GgmlType.Q8_0: Q8_0Block.Quantize(src, dst); break;
            case GgmlType.Q4_0: Q4_0Block.Quantize(src, dst); break;
            case GgmlType.Q5_0: Q5_0Block.Quantize(src, dst); break;
            case GgmlType.Q4_K: Q4_KQuantizer.Quantize(src, dst); break;
            case GgmlType.Q6_K: Q6_KQuantizer.Quantize(src, dst); break;
        }
    }
}
