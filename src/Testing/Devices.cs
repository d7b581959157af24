namespace Interp.Testing;

/// <summary>The devices this process can run on, for device parity.</summary>
public static class Devices
{
    static readonly Lazy<Device[]> available = new(Find);

    /// <summary>The CPU; ILGPU's CPU accelerator when the program ships Interp.Gpu; CUDA when a CUDA device exists.</summary>
    public static Device[] Available() => available.Value;

    static Device[] Find()
    {
        var found = new List<Device> { Device.Cpu };
        if (TryCreate(() => Device.IlgpuCpu) is { } ilgpu) found.Add(ilgpu);
        if (found.Count > 1 && TryCreate(() => Device.Cuda()) is { } cuda) found.Add(cuda);
        return [.. found];
    }

    static Device? TryCreate(Func<Device> create)
    {
        try { return create(); }
        catch (Exception) { return null; }   // a probe: no assembly, no driver and no device all mean "not available"
    }
}
