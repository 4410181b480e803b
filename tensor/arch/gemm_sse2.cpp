// placeholder: filled by the gemm kernels
