using PhiSharp.Tensors.Blocks;

namespace PhiSharp.Tensors;

/// <summary>
/// Block geometry of each <see cref="GgmlType"/>: ggml stores a row as a sequence of fixed-size blocks, each holding
/// <see cref="BlockSize"/> elements in <see cref="BlockBytes"/> bytes (for plain float types the block is one element).
/// </summary>
public static class GgmlTypeInfo
{
    /// <summary>Elements per super-block of the K-quant types (ggml's QK_K).</summary>
    public const int KBlockSize = 256;

    /// <summary>True if <paramref name="type"/> is a value PhiSharp knows the layout of.</summary>
    public static bool IsKnown(GgmlType type) => Enum.IsDefined(type);

    /// <summary>Elements in one block.</summary>
    public static int BlockSize(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => 1,
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q8_1 => 32,
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q8_K => KBlockSize,
        _ => throw Unknown(type),
    };

    /// <summary>Bytes in one block.</summary>
    public static int BlockBytes(GgmlType type) => type switch
    {
        GgmlType.F32 => 4,
        GgmlType.F16 or GgmlType.BF16 => 2,
        GgmlType.Q4_0 => Q4_0Block.BlockBytes,
        GgmlType.Q4_1 => Q4_1Block.BlockBytes,
        GgmlType.Q5_0 => Q5_0Block.BlockBytes,
        GgmlType.Q5_1 => Q5_1Block.BlockBytes,
        GgmlType.Q8_0 => Q8_0Block.BlockBytes,
        GgmlType.Q8_1 => Q8_1Block.BlockBytes,
        GgmlType.Q2_K => Q2_KBlock.BlockBytes,
        GgmlType.Q3_K => Q3_KBlock.BlockBytes,
        GgmlType.Q4_K => Q4_KBlock.BlockBytes,
        GgmlType.Q5_K => Q5_KBlock.BlockBytes,
        GgmlType.Q6_K => Q6_KBlock.BlockBytes,
        GgmlType.Q8_K => Q8_KBlock.BlockBytes,
        _ => throw Unknown(type),
    };

    /// <summary>The name ggml and llama.cpp use ("q4_0", "f16", ...).</summary>
    public static string Name(GgmlType type) =>
        IsKnown(type) ? type.ToString().ToLowerInvariant() : $"type {(uint)type}";

    /// <summary>True if a row of <paramref name="elements"/> elements is a whole number of blocks.</summary>
    public static bool IsValidRowLength(GgmlType type, long elements) =>
        elements >= 0 && elements % BlockSize(type) == 0;

    /// <summary>Bytes taken by <paramref name="elements"/> consecutive elements of a row.</summary>
    /// <exception cref="ArgumentException">The count is negative or not a multiple of the block size.</exception>
    /// <exception cref="OverflowException">The byte size does not fit in a long.</exception>
    public static long RowByteSize(GgmlType type, long elements)
    {
        int blockSize = BlockSize(type);
        if (elements < 0 || elements % blockSize != 0)
            throw new ArgumentException(
                $"{Name(type)} rows must be a multiple of {blockSize} elements, got {elements}", nameof(elements));
        return checked(elements / blockSize * BlockBytes(type));
    }

    private static ArgumentOutOfRangeException Unknown(GgmlType type) =>
        new(nameof(type), $"unknown ggml type {(uint)type}");
}
