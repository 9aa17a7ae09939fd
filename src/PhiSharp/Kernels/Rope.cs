using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PhiSharp.Kernels;

/// <summary>
/// Rotary position embedding in the "rotate half" (NeoX) layout used by Phi-3: within the first
/// <c>rotaryDim</c> entries of a head, element i is paired with element i + rotaryDim/2 and the pair is
/// rotated by angle θᵢ. Entries past <c>rotaryDim</c> (partial rotary) are left as they are.
/// </summary>
internal static class Rope
{
    /// <param name="head">One head's vector, rotated in place.</param>
    /// <param name="cos">cos θᵢ for i in [0, rotaryDim/2), already multiplied by any attention factor.</param>
    /// <param name="sin">sin θᵢ likewise.</param>
    public static void RotateHalf(Span<float> head, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int half = cos.Length, i = 0;
        var first = head[..half];
        var second = head.Slice(half, half);
        // Vectors of the same products and difference as the scalar loop (no fused multiply-add), so the result is the
        // same bits. A decode step rotates every head of every layer on one thread while the others wait.
        if (Vector128.IsHardwareAccelerated)
        {
            ref float a0 = ref MemoryMarshal.GetReference(first);
            ref float b0 = ref MemoryMarshal.GetReference(second);
            ref float c0 = ref MemoryMarshal.GetReference(cos);
            ref float s0 = ref MemoryMarshal.GetReference(sin);
            for (; i + 4 <= half; i += 4)
            {
                var a = Vector128.LoadUnsafe(ref a0, (nuint)i);
                var b = Vector128.LoadUnsafe(ref b0, (nuint)i);
                var c = Vector128.LoadUnsafe(ref c0, (nuint)i);
                var s = Vector128.LoadUnsafe(ref s0, (nuint)i);
                (a * c - b * s).StoreUnsafe(ref a0, (nuint)i);
                (b * c + a * s).StoreUnsafe(ref b0, (nuint)i);
            }
        }
        for (; i < half; i++)
        {
            float a = first[i], b = second[i];
            first[i] = a * cos[i] - b * sin[i];
            second[i] = b * cos[i] + a * sin[i];
        }
    }
}
