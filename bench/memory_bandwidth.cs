// Read bandwidth of this machine's memory, the ceiling of token generation (which reads every weight once per token):
//     dotnet run -c Release bench/memory_bandwidth.cs -- [GiB = 2] [threads = 2]
// Reads a buffer far larger than the caches with 256-bit loads, each thread its own contiguous half, five times, and
// prints the best pass in GB/s (10^9 bytes). The buffer is 2 MiB-aligned and advised for transparent huge pages, as
// PhiSharp's in-memory weights are.
#:property AllowUnsafeBlocks=true
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

long bytes = (long)(args.Length > 0 ? double.Parse(args[0]) : 2) * (1L << 30);
int threads = args.Length > 1 ? int.Parse(args[1]) : 2;
unsafe
{
    byte* buffer = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 2 << 20);
    Madvise(buffer, (nuint)bytes, 14); // MADV_HUGEPAGE
    new Span<byte>(buffer, int.MaxValue).Fill(1);
    for (long done = int.MaxValue; done < bytes; done += int.MaxValue)
        new Span<byte>(buffer + done, (int)Math.Min(int.MaxValue, bytes - done)).Fill(1);

    double best = 0;
    var sums = new long[threads];
    for (int pass = 0; pass < 5; pass++)
    {
        var watch = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            long share = bytes / threads / 32 * 32;
            var p = (Vector256<long>*)(buffer + t * share);
            Vector256<long> a = default, b = default, c = default, d = default;
            for (long i = 0; i < share / 32; i += 4)
            {
                a += p[i]; b += p[i + 1]; c += p[i + 2]; d += p[i + 3];
            }
            sums[t] = Vector256.Sum(a + b + c + d);
        });
        best = Math.Max(best, bytes / watch.Elapsed.TotalSeconds / 1e9);
    }
    Console.WriteLine($"{{\"threads\": {threads}, \"bytes\": {bytes}, \"read_gb_per_s\": {best:F1}, \"checksum\": {sums.Sum()}}}");
    NativeMemory.AlignedFree(buffer);
}

[DllImport("libc", EntryPoint = "madvise")]
static extern unsafe int Madvise(void* address, nuint length, int advice);
