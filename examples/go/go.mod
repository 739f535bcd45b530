module daira.dev/examples/go

go 1.19
