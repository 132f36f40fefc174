"""The service desk's pages for agents, dispatchers and inspectors, one module per page:
`order_list` (the order list and its file), `order_page` (an order and its action forms),
`console` (the agent's console with the screen-pop and the queue to accept), `board` (the
dispatch board), `callbacks` (the call-back workbench); `common` holds what they share.
Their URLs are in servicedesk/desk_urls.py. Every change goes through servicedesk/services.py."""
