# One image with the three binaries: worker, starter and awssim (docker-compose.yml picks the command).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/ ./worker ./starter ./awssim

FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=build /out/ /app/
COPY examples/ /app/examples/
CMD ["/app/worker"]
