using Xunit;

namespace Interp.Tests.Autograd;

/// <summary>
/// log_softmax and cross_entropy where the logits are large and two of them tie: the exact answers are −log 2 for the
/// tied entries and gradients of ±1/2, whatever the magnitude (x − m is exact there; x − (m + log Σ) is not, and gave
/// −1 and a gradient of 0.632 in float32 at 1e7). On the CPU and on ILGPU's CPU accelerator.
/// </summary>
public class LargeMagnitudeSoftmaxTests
{
    public static TheoryData<string, double, string> Cases()
    {
        var data = new TheoryData<string, double, string>();
        foreach (var device in new[] { "cpu", "ilgpu" })
        {
            foreach (double big in new[] { 1e4, 1e7, 3e7 }) data.Add("float32", big, device);
            foreach (double big in new[] { 1e7, 1e15 }) data.Add("float64", big, device);
        }
        return data;
    }

    static Tensor Logits(string dtype, double big, string device)
    {
        var x = Tensor.FromArray(new[] { big, big, 0 }, [1, 3]).To(dtype == "float32" ? DType.Float32 : DType.Float64);
        return (device == "ilgpu" ? x.To(Device.IlgpuCpu) : x).Detach().RequiresGrad_();
    }

    static double Tol(string dtype) => dtype == "float32" ? 1e-6 : 1e-14;

    [Theory, MemberData(nameof(Cases))]
    public void Log_softmax_of_two_tied_large_logits_is_minus_log_two(string dtype, double big, string device)
    {
        var x = Logits(dtype, big, device);
        var y = x.LogSoftmax(-1);
        var values = y.ToDoubleArray();
        Assert.Equal(-Math.Log(2), values[0], Tol(dtype));
        Assert.Equal(-Math.Log(2), values[1], Tol(dtype));
        y[0, 0].Backward();   // ∂y0/∂x = onehot(0) − softmax(x) = [1/2, −1/2, 0]
        var g = x.Grad!.ToDoubleArray();
        Assert.Equal(0.5, g[0], Tol(dtype));
        Assert.Equal(-0.5, g[1], Tol(dtype));
        Assert.Equal(0, g[2], Tol(dtype));
    }

    [Theory, MemberData(nameof(Cases))]
    public void Cross_entropy_of_two_tied_large_logits_is_log_two(string dtype, double big, string device)
    {
        var x = Logits(dtype, big, device);
        var targets = Tensor.FromArray(new[] { 0 }, [1]);
        var loss = x.CrossEntropy(device == "ilgpu" ? targets.To(Device.IlgpuCpu) : targets);
        Assert.Equal(Math.Log(2), loss.Item(), Tol(dtype));
        loss.Backward();   // softmax(x) − onehot(0) = [−1/2, 1/2, 0]
        var g = x.Grad!.ToDoubleArray();
        Assert.Equal(-0.5, g[0], Tol(dtype));
        Assert.Equal(0.5, g[1], Tol(dtype));
        Assert.Equal(0, g[2], Tol(dtype));
    }
}
