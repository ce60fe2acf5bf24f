module faultline.dev/images/pause

go 1.22
